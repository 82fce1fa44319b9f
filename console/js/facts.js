// Facts of the service that the console shows, each checked against its source by tests/console/test_texts.py.
// The calls one operator answers an hour come from the API (GET /me), as the tariffs say.

// The languages a line may speak, in the order the contact flow offers them (functions/crisisline/facts.py).
export const LANGUAGES = ["nl", "fr", "de", "en"];

// The limits of an activation request (ActivationIn in functions/activate/openapi.json).
export const LIMITS = { reason: 500, message: 2000, operatorsMin: 1, operatorsMax: 200 };
