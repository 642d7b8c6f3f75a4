"""Register this app with Amazon Cognito (boto3, optional: requirements-aws.txt)."""
