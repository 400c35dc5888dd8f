//! Telephone support for the line 33 98 00 10: guided flows, the rules they apply, the agent
//! console and the keypad voice menu. Filled in by the phone-support issue.
