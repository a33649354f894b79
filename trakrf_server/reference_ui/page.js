// Starts the interactive reference on the server's own spec. "Authorize" takes
// an API key (the bearer scheme), which "Try it out" then sends. The key is
// kept in memory only, never in localStorage.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#reference",
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: false,
    displayRequestDuration: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
