from __future__ import annotations

from leadscore.workspace.csrf import cross_site, form_token, new_cookie_value, token_matches


def test_a_token_matches_its_cookie_alone_and_is_masked_anew_each_time() -> None:
    cookie = new_cookie_value()
    first, second = form_token("secret", cookie), form_token("secret", cookie)
    assert first != second  # masked: a compressed page never repeats it
    assert token_matches("secret", cookie, first) and token_matches("secret", cookie, second)
    assert not token_matches("secret", new_cookie_value(), first)  # another browser's
    assert not token_matches("another secret", cookie, first)
    for broken in ("", "not base64!", first[:-8], None):
        assert not token_matches("secret", cookie, broken)
    assert not token_matches("secret", None, first)


def test_posts_from_other_sites_are_told_apart() -> None:
    host = {"host": "crm.example:3000"}
    assert not cross_site(host)  # no Origin: the token decides
    assert not cross_site({**host, "origin": "https://crm.example:3000"})
    assert not cross_site({**host, "origin": "http://CRM.example:3000"})  # TLS ended before
    assert cross_site({**host, "origin": "https://evil.example"})
    assert cross_site({**host, "origin": "null"})
    assert cross_site({**host, "sec-fetch-site": "cross-site"})
    assert cross_site({**host, "sec-fetch-site": "same-site"})
    assert not cross_site({**host, "sec-fetch-site": "same-origin"})
