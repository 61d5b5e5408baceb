"""``POST /api/v2/query`` behind the guard (local mode): an API key as Bearer, refusals
in Plausible's words inside our error envelope."""

from __future__ import annotations

from tests.api.helpers import assert_error
from tests.auth.support import create_key, signed_in, with_cookie, with_key

QUERY = {"metrics": ["visitors"], "date_range": "7d"}
MISSING = "Missing API key. Please use a valid Plausible API key as a Bearer Token."
INVALID = "Invalid API key or site ID. Please make sure you're using a valid API key with access to the site you've requested."


async def test_a_key_is_required_and_a_wrong_one_refused(client):
    token = await signed_in(client)
    await assert_error(await client.post("/api/v2/query", json={"site_id": "example.com", **QUERY}), 401, "unauthorized", MISSING)
    await assert_error(
        await client.post("/api/v2/query", json={"site_id": "example.com", **QUERY}, headers=with_key("spk_selfhosted_nope")),
        401, "unauthorized", INVALID,
    )
    key = (await create_key(client, token))["key"]
    created = await client.post("/api/websites", json={"name": "Example", "domain": "example.com"}, headers=with_cookie(token))
    assert created.status_code == 201
    ok = await client.post("/api/v2/query", json={"site_id": "example.com", **QUERY}, headers=with_key(key))
    assert ok.status_code == 200, await ok.get_data(as_text=True)
    assert (await ok.get_json())["results"] == [{"metrics": [0], "dimensions": []}]
    # A key sees every website; only the site can be wrong.
    await assert_error(
        await client.post("/api/v2/query", json={"site_id": "other.example", **QUERY}, headers=with_key(key)),
        404, "not_found", INVALID,
    )
