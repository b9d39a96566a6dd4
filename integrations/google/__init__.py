"""What the Google adapters share: credentials, clients pointed at Google (or a stand-in), retries."""
