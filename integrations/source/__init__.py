"""Order sources: form exports in files (local) and, later, a Google Form responses Sheet."""
