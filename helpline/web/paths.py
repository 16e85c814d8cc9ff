"""The webhook paths: Twilio is pointed at these, and some are written into TwiML
and API calls (the gather action, the status callback)."""

SMS_PATH = "/twilio/sms"
VOICE_PATH = "/twilio/voice"
VOICE_ANSWER_PATH = "/twilio/voice/answer"
STATUS_PATH = "/twilio/status"
