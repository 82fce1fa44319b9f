"""D2 victim information: relatives' enquiries matched against the lists of victims and survivors that hospitals,
reception centres and the police send (`names` reads the names, `matching` finds and grades candidates)."""
