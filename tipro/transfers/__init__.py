"""Exactly-once transfer of approved hours to Tripletex (reserved; built by the transfer issue).

Ledger, services, jobs and the admin page «Overføringer»; the Tripletex side is tipro.tripletex.
"""
