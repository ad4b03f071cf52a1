"""Server-side sessions: the browser holds an opaque random id in a cookie; the tokens stay here."""
