"""The public share routes name the website they show (the share page's title), and
nothing more about it."""

from __future__ import annotations

import pytest

from tests.api.helpers import create_website


@pytest.mark.parametrize("report", ["stats", "pageviews", "metrics?type=page", "overview"])
async def test_every_share_route_names_the_website(client, report) -> None:
    site = await create_website(client, name="Acme shop", domain="shop.example.com")
    share_id = (await (await client.post(f"/api/websites/{site}/share")).get_json())["data"]["share_id"]
    response = await client.get(f"/api/share/{share_id}/{report}")
    assert response.status_code == 200
    body = await response.get_json()
    assert body["website"] == {"name": "Acme shop"}
    assert "data" in body

    await client.put(f"/api/websites/{site}", json={"name": "Acme"})
    renamed = await (await client.get(f"/api/share/{share_id}/{report}")).get_json()
    assert renamed["website"] == {"name": "Acme"}
