"""Fault reports from riders, and operators putting bikes in and out of maintenance."""
