"""Staff pages need a login and the right role; forms carry CSRF; public endpoints are limited."""

from tests.conftest import ANNA, EWA, PASSWORD, login, make_app


def test_console_requires_login(client):
    response = client.get("/console")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_clerk_cannot_open_supervisor_pages(app):
    anna = login(app, ANNA)
    assert anna.get("/console").status_code == 200
    assert anna.get("/supervisor").status_code == 403


def test_supervisor_sees_the_log(app):
    assert login(app, EWA).get("/supervisor").status_code == 200


def test_wrong_password_is_refused_in_polish(client):
    response = client.post("/login", data={"email": ANNA, "password": "nope"})
    assert response.status_code == 400
    assert "Nieprawidłowy" in response.get_data(as_text=True)


def test_login_never_redirects_off_site(app):
    response = app.test_client().post("/login?next=//evil.example/x",
                                      data={"email": ANNA, "password": PASSWORD})
    assert response.headers["Location"] == "/console"


def test_forms_without_csrf_token_are_refused(settings):
    app = make_app(settings, WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/login", data={"email": ANNA, "password": PASSWORD})
    assert response.status_code == 400


def test_login_is_rate_limited(settings):
    app = make_app(settings, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute",
                   RATELIMIT_KEY_PREFIX=settings["REDIS_PREFIX"])
    # Its own address: Flask-Limiter keeps the first app's key prefix for every later app
    # of the process, so another test's login attempts from 127.0.0.1 would count here.
    http = app.test_client()
    http.environ_base["REMOTE_ADDR"] = "192.0.2.41"
    codes = [http.post("/login", data={"email": ANNA, "password": "x"}).status_code
             for _ in range(4)]
    assert codes[-1] == 429


def test_behind_a_load_balancer_each_resident_has_their_own_limit(settings):
    """With PROXY_COUNT=1 the limit follows X-Forwarded-For, not the balancer's address;
    without it a forged header changes nothing."""
    def codes(app, addresses):
        http = app.test_client()
        return [http.post("/login", data={"email": ANNA, "password": "x"},
                          headers={"X-Forwarded-For": address}).status_code
                for address in addresses]

    limits = dict(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2 per minute",
                  RATELIMIT_KEY_PREFIX=settings["REDIS_PREFIX"])
    behind = make_app(settings, PROXY_COUNT=1, **limits)
    assert codes(behind, ["203.0.113.5"] * 3)[-1] == 429
    assert codes(behind, ["198.51.100.7"]) != [429]        # someone else is not limited
    direct = make_app({**settings, "REDIS_PREFIX": settings["REDIS_PREFIX"] + "d:"}, **{
        **limits, "RATELIMIT_KEY_PREFIX": settings["REDIS_PREFIX"] + "d:"})
    assert codes(direct, ["203.0.113.9", "203.0.113.10", "203.0.113.11"])[-1] == 429


def test_security_headers(client):
    headers = client.get("/console").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    chat = client.get("/chat?embed=1").headers
    assert "frame-ancestors *" in chat["Content-Security-Policy"]
    assert "X-Frame-Options" not in chat


def test_staff_socket_refuses_anonymous(app):
    from hub.extensions import socketio

    sio = socketio.test_client(app, namespace="/staff")
    assert not sio.is_connected("/staff")
