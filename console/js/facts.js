// Facts of the service that the console shows, each checked against its source by tests/console/test_i18n.py.

// Calls one operator answers in an hour, by the default tariffs (functions/crisisline/tariffs.json,
// `calls_per_operator_hour`).
export const CALLS_PER_OPERATOR_HOUR = 12;

// The languages a line may speak, in the order the contact flow offers them (functions/crisisline/facts.py).
export const LANGUAGES = ["nl", "fr", "de", "en"];

// The limits of an activation request (ActivationIn in functions/activate/openapi.json).
export const LIMITS = { reason: 500, message: 2000, operatorsMin: 1, operatorsMax: 200 };
