def test_health_answers_ok(client):
    assert client.get("/health").get_json() == {"status": "ok"}
