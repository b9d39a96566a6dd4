"""What to tell a shop when Google refuses the identity fulfil signs in with: one text, said the
same way by `fulfil doctor` before the first order and by any step that meets the refusal."""

# Google refuses every file a service account would own in a personal ("My Drive") folder:
# service accounts have no storage quota of their own (403 storageQuotaExceeded).
STORAGE_QUOTA_ADVICE = (
    "a service account cannot own files in a personal Drive (Google: storageQuotaExceeded); "
    "sign in as the shop instead (`fulfil google login`), move the folder to a shared drive, "
    "or use domain-wide delegation (FULFIL_GOOGLE_SUBJECT)"
)
