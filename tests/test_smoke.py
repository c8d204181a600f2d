from tests.conftest import ApiUser


def test_a_signed_in_user_creates_a_project(alice: ApiUser) -> None:
    project = alice.project("Payments")
    listed = alice.get("/api/projects").json()
    assert [p["id"] for p in listed["projects"]] == [project["id"]]
