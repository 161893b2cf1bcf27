async def test_other_driver_errors_stay_a_plain_500() -> None:
    from sqlalchemy.exc import DBAPIError
    from starlette.requests import Request

    from app.core.http.handlers import _data_error

    request = Request({"type": "http", "method": "GET", "path": "/x", "headers": []})
    error = DBAPIError("SELECT 1", {}, RuntimeError("something else"))

    answer = await _data_error(request, error)

    assert answer.status_code == 500
    assert b"has been logged" in answer.body
