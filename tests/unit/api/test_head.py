"""HEAD is answered by the GET responder, without a body, with GET's length."""

from __future__ import annotations

import falcon
import falcon.testing

from api.head import HeadAsGet


class Thing:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"name": "lamp"}


def test_head_answers_like_get_without_the_body() -> None:
    # given an app whose resource has only on_get
    app = falcon.App(middleware=[HeadAsGet()])
    app.add_route("/thing", Thing())
    client = falcon.testing.TestClient(app)

    # when
    got = client.simulate_get("/thing")
    head = client.simulate_head("/thing")

    # then
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["content-type"] == got.headers["content-type"]


def test_head_of_a_route_without_get_is_still_405() -> None:
    class PostOnly:
        def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
            resp.media = {}

    app = falcon.App(middleware=[HeadAsGet()])
    app.add_route("/only-post", PostOnly())
    assert falcon.testing.TestClient(app).simulate_head("/only-post").status_code == 405
