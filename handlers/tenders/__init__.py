"""Public tenders the cluster answers together as a consortium."""
