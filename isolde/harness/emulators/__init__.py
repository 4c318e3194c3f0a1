"""Managing real emulator processes (DynamoDB Local, moto, dynalite...)."""
