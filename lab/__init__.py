"""What the app teaches: the wording and view models around the protocol (claim and check
explanations, step titles and lanes, parameter help, likely causes, the compare page, claim diffs).
A leaf: it imports nothing from oauth/ at run time, so the protocol can use its wording."""
