"""The portal address of tests that issue records without serving the portal: each record's
QR code and lookup address start with it (a test that follows a QR code serves its own)."""

from core.services.lookup_codes import Portal

PORTAL = Portal("https://hocba.example.vn")
