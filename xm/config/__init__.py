"""Reading xm domain configuration files (Python syntax, evaluated safely) into the domain model."""
