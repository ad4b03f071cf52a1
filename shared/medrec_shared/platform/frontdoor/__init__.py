"""What the two front doors (the citizens' portal, the staff console) share: the headers and
session cookie every answer carries (`security`) and the transport under their typed API clients
(`client`). Only what is genuinely the same lives here; what differs between the front doors
(cookie name, SameSite, session length, the services called, the words shown) is a parameter each
front door passes, so that it stays visible there. Never imports the rules or any service."""
