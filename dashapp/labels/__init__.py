"""Smart labels: the taxonomy, labelling and sentiment, label figures, discovered themes."""
