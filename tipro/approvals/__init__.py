"""Approval of submitted periods (reserved; built by the approval issue).

The only writer of period state: submit, take back, approve, return, reopen.
"""
