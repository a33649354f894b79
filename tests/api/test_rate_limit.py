"""Per-key token buckets and their headers (CONTRACT RL-1…8)."""

import time

import pytest

from trakrf_server.ratelimit import Decision, MemoryBuckets, RedisBuckets, header_values

ME = "/api/v1/orgs/me"


class FrozenClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(ctx):
    frozen = FrozenClock()
    ctx.limiter = MemoryBuckets(120, 60, clock=frozen)
    return frozen


def remaining(r):
    return int(r.headers["X-RateLimit-Remaining"])


@pytest.mark.gen_test(timeout=60)
async def test_worked_example_and_refusal(api, seed, clock):
    # RL-1, RL-4, RL-5, RL-6, ORG-6: /orgs/me spends tokens and shows real headers
    tenant = seed.tenant()
    key = seed.key(tenant.org_id)
    seen = []
    for _ in range(120):
        r = await api.get(ME, token=key)
        assert r.status == 200
        assert r.headers["X-RateLimit-Limit"] == "60"
        seen.append(
            (remaining(r), int(r.headers["X-RateLimit-Reset"]) - int(time.time()))
        )
    assert all(rem == 60 for rem, _ in seen[:60])
    assert all(abs(delta) <= 1 for _, delta in seen[:60])  # Reset = now
    assert seen[60][0] == 59 and 0 <= seen[60][1] - 1 <= 1  # Reset ~ now+1
    assert seen[119][0] == 0 and 59 <= seen[119][1] <= 61  # Reset ~ now+60

    refused = await api.get(ME, token=key)
    assert refused.status == 429
    err = refused.error
    assert err["type"] == "rate_limited"
    assert err["title"] == "Rate limited"
    assert err["detail"] == "Retry after 1 seconds"
    assert refused.headers["Retry-After"] == "1"
    assert remaining(refused) == 0


@pytest.mark.gen_test(timeout=60)
async def test_refusal_consumes_nothing_and_refill(api, seed, clock):
    # RL-2 (a 429 costs nothing), RL-1 refill of one token per second
    tenant = seed.tenant()
    key = seed.key(tenant.org_id)
    for _ in range(120):
        await api.get(ME, token=key)
    for _ in range(3):
        assert (await api.get(ME, token=key)).status == 429
    clock.now += 1.0
    assert (await api.get(ME, token=key)).status == 200
    assert (await api.get(ME, token=key)).status == 429
    clock.now += 0.5
    r = await api.get(ME, token=key)
    assert r.headers["Retry-After"] == "1"


@pytest.mark.gen_test
async def test_failed_requests_cost_a_token(api, seed, clock):
    # RL-2: a 400 after authentication still costs one token
    tenant = seed.tenant()
    key = seed.key(tenant.org_id)
    for _ in range(61):
        r = await api.get(ME + "?bad=1", token=key)
        assert r.status == 400
    # 61 tokens spent: 59 left
    assert remaining(r) == 59


@pytest.mark.gen_test
async def test_uncounted_requests_show_default_headers(api, seed, clock):
    # RL-3, RL-4 "not consulted"
    tenant = seed.tenant()
    key = seed.key(tenant.org_id)
    for _ in range(70):
        await api.get(ME, token=key)
    for request in (
        api.get(ME),  # 401
        api.get("/api/v1/nope", token=key),  # 404 before auth
        api.request("PUT", ME, token=key, body=b"{}"),  # 405
        api.get("/api/v1/orgs/me", token=tenant.session),  # session (401 here)
    ):
        r = await request
        assert remaining(r) == 60
        assert abs(int(r.headers["X-RateLimit-Reset"]) - time.time()) <= 1
    # none of those spent a token: the key's next request shows 120-71=49
    assert remaining(await api.get(ME, token=key)) == 49


@pytest.mark.gen_test
async def test_buckets_are_per_key(api, seed, clock):
    # RL-7
    tenant = seed.tenant()
    first = seed.key(tenant.org_id)
    second = seed.key(tenant.org_id)
    for _ in range(120):
        await api.get(ME, token=first)
    assert (await api.get(ME, token=first)).status == 429
    assert (await api.get(ME, token=second)).status == 200


class TestDisabled:
    @pytest.fixture
    def overrides(self):
        return {"rate_limit.enabled": False}

    @pytest.mark.gen_test(timeout=60)
    async def test_disabled_limiter_sends_default_headers(self, api, seed):
        # RL-8
        tenant = seed.tenant()
        key = seed.key(tenant.org_id)
        for _ in range(125):
            r = await api.get(ME, token=key)
            assert r.status == 200
        assert remaining(r) == 60
        assert r.headers["X-RateLimit-Limit"] == "60"


def test_header_values_math():
    # RL-4 formulas
    assert header_values(None, 60, 100.7) == {
        "X-RateLimit-Limit": "60",
        "X-RateLimit-Remaining": "60",
        "X-RateLimit-Reset": "100",
    }
    half = header_values(Decision(True, 30.5, 0), 60, 100.0)
    assert half["X-RateLimit-Remaining"] == "30"
    assert half["X-RateLimit-Reset"] == "129"
    refused = header_values(Decision(False, 0.25, 1), 60, 100.0)
    assert refused["X-RateLimit-Remaining"] == "0"


def test_redis_buckets_share_state_across_instances():
    # RL-7: a shared store lets several processes enforce one bucket per key
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    client.ping()
    key = f"test-{time.time_ns()}"
    one = RedisBuckets("redis://127.0.0.1:6379/0", burst=5, per_minute=60)
    two = RedisBuckets("redis://127.0.0.1:6379/0", burst=5, per_minute=60)
    results = [(one if i % 2 else two).take(key).allowed for i in range(6)]
    assert results == [True] * 5 + [False]
    refused = one.take(key)
    assert not refused.allowed and refused.retry_after == 1
    client.delete("trakrf:rl:" + key)


def test_memory_bucket_retry_after_rounds_up():
    # RL-6: N = max(1, ceil(seconds until one token))
    clock = FrozenClock()
    buckets = MemoryBuckets(2, 6, clock=clock)  # one token per 10 s
    assert buckets.take("k").allowed and buckets.take("k").allowed
    refused = buckets.take("k")
    assert not refused.allowed and refused.retry_after == 10
    clock.now += 9.5
    assert buckets.take("k").retry_after == 1
