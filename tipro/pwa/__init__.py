"""The installable offline app (reserved; built by the offline-app issue).

Manifest, service worker and the sync API; the per-item bulk save is tipro.entries.bulk.
"""
