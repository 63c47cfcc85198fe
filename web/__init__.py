"""The web portal beside the bot: what families and whoever checks a record do on the web,
since Telegram is blocked for many users in Vietnam. Pages call the core, like the handlers."""
