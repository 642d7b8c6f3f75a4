"""The attack lab: the ten attacks the dashboard's checks stop, run for real over HTTP.

A scripted victim (the demo user) and a scripted attacker (alice), each a cookie jar of its own, talk to
this app and to the provider on loopback as browsers and clients do; the app's and the provider's own
checks do the refusing. No Flask here: `views/attacks.py` is the page, this package the runner.
"""
