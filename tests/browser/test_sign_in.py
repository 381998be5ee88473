"""Signing in and out through the real login page, in a real browser."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason="needs the playwright package").expect
pytestmark = pytest.mark.browser


def sign_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_office_manager_signs_in_sees_today_and_signs_out(page, make_user, location):
    # given an office manager
    user = make_user("office_manager", first_name="Dana", home_location=location)

    # when she signs in through the login page
    sign_in(page, user.username, PASSWORD)

    # then she lands on her home page with "Today" in the navigation
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Today")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dana")

    # and signing out brings her back to the login page, signed out
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", name="Sign in to medoffice")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/"))


def test_wrong_password_shows_the_generic_error(page, make_user, artifacts):
    user = make_user("front_desk")

    sign_in(page, user.username, "not-the-password")

    expect(page.get_by_role("alert")).to_contain_text(
        "That user name and password do not match an active account"
    )
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    page.screenshot(path=str(artifacts / "login-error-1280.png"))


def test_home_page_screenshots_at_desktop_and_tablet_width(page, make_user, location, artifacts):
    user = make_user("office_manager", "admin", first_name="Dana", home_location=location)
    sign_in(page, user.username, PASSWORD)
    expect(page.get_by_role("link", name="Today")).to_be_visible()

    for width in (1280, 800):
        page.set_viewport_size({"width": width, "height": 800})
        # the navigation stays usable: no horizontal scrolling of the whole page
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"page scrolls sideways by {overflow}px at {width}px"
        page.screenshot(path=str(artifacts / f"home-{width}.png"), full_page=True)
