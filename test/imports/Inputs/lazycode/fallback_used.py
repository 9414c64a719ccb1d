NAME = "fallback_used"
