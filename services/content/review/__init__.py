"""Review: submitting an item through screening, and a reviewer approving or rejecting it."""
