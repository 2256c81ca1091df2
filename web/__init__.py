"""Server-rendered pages: the public catalogue and verification pages, the manufacturer portal and the
registry console, in Bangla and English.

``init_app(app)`` sets up Flask-Babel (language from ``?lang=``, then the ``lang`` cookie, then
Accept-Language; Bangla when nothing matches), CSRF protection for every form of these pages, the
per-IP sign-in rate limit, the Jinja helpers, and registers the blueprints (the brand pages of portal
and console are their own, ``web.views_brands``). Pages call the
registry, search, signing and labels packages' Python functions; they never call the HTTP API.
"""

from __future__ import annotations

from typing import Any

from flask_babel import Babel

from registry.notices import MAIL as NOTICE_MAIL
from web import accounts, csrf, helpers
from web.language import select_locale
from web.notices import mail_notice
from web.views_brands import bp as brands_bp
from web.views_console import bp as console_bp
from web.views_portal import bp as portal_bp
from web.views_public import bp as public_bp


def init_app(app: Any) -> None:
    # Flask-Babel's own keys (the pages' settings are the tree's groups web, sessions, signin, mail)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "bn")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Dhaka")
    if "babel" not in app.extensions:
        Babel(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Dhaka")
    csrf.init_app(app)
    if not isinstance(app.wsgi_app, accounts.RedactResetLinks):
        app.wsgi_app = accounts.RedactResetLinks(app.wsgi_app)  # no reset token in the access log
    helpers.init_app(app)

    NOTICE_MAIL.handle_with(mail_notice)
    for bp in (public_bp, portal_bp, console_bp, brands_bp):
        if bp.name not in app.blueprints:
            app.register_blueprint(bp)
