"""The patients landing file: its contract, row rules, and the stage -> transform -> load steps."""
