"""Test support shared by every domain: the standing world, the permission battery, skips.

Lives in the package (like NetBox's ``utilities/testing``) so that every domain's tests,
and later domains' specs, import the same helpers.
"""
