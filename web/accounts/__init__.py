"""Member, employer and staff accounts: password policy, and what else issue 4 adds."""
