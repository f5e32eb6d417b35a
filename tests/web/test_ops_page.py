"""The operations console as an HTTP answer: offline by default, a tile server's images allowed only when set."""

TILES = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"


def policy_of(response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))


def test_the_map_names_no_tile_server_unless_one_is_configured(client):
    html = client.get("/ops").get_data(as_text=True)

    assert 'data-tile-url=""' in html
    assert policy_of(client.get("/ops"))["img-src"] == "'self' data: blob:"


def test_a_configured_tile_server_may_send_images_to_the_console_and_nothing_else(make_app):
    client = make_app(WEB_MAP_TILE_URL=TILES, WEB_MAP_TILE_ATTRIBUTION="© Example").test_client()

    console = client.get("/ops")
    assert f'data-tile-url="{TILES}"' in console.get_data(as_text=True)
    policy = policy_of(console)
    assert policy["img-src"] == "'self' data: blob: https://*.tiles.example.org"
    assert policy["default-src"] == policy["script-src"] == policy["connect-src"] == "'self'"
    assert policy_of(client.get("/ride"))["img-src"] == "'self' data: blob:"
