"""The card's business rules, one module per concern; each public function is one unit of work."""
