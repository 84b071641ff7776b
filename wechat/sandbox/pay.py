"""A stand-in of WeChat Pay API v3 (JSAPI, public-key mode): work in progress."""


def register_pay(app, appid, keys):
    """Serve WeChat Pay's paths and the /sandbox/pay hooks on the sandbox app (being built)."""
    raise NotImplementedError("the WeChat Pay sandbox is being built on branch pay-platform")
