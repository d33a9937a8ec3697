"""What commands print on a terminal: tables and progress (rich), for journeyctl and the lab."""
