# The keypad voice menu of the support line 33 98 00 10 (owned by phone-support).
# Flow step texts live in phone-support/flows/*.toml.
phone-welcome = Welcome to support for the MitID audio code reader.
# Said in this language in the other language's menu: the way to this one.
phone-choose-language = For English, press 9.
phone-menu-intro = Choose what you are calling about.
# { $title }: a flow's title; { $key }: the key that starts it.
phone-menu-item = { $title }: press { $key }.
# { $key }: a keypad digit; { $label }: what it means, from the flow file.
phone-press = Press { $key } { $label }.
phone-hints = Press star to hear this again, hash to go back, or 0 to speak to an agent.
phone-invalid-key = That key cannot be used here.
phone-no-input = I did not hear a choice.
phone-queue = You are now in the queue for an agent. Please hold.
# The opening hours as set for the line (published: 8–20 and 10–16), whole hours.
phone-closed = The line is closed right now. We are open Monday to Friday from { $weekday_open } to { $weekday_close }, and on Saturdays, Sundays and public holidays from { $weekend_open } to { $weekend_close }.
# { $hour }: the whole hour the line opens, e.g. 8 or 10.
phone-opens-today = We open again today at { $hour }.
phone-opens-tomorrow = We open again tomorrow at { $hour }.
phone-call-again = Please call again on 33 98 00 10.
phone-goodbye = Thank you for calling. Goodbye.
# Self-service unlock by keypad (a flow step with end = "unlock"). Nothing keyed is said back.
phone-unlock-serial = Enter the serial number from the back of the code reader, then press hash. For a letter, press the key that carries it. Press star to start again.
phone-unlock-first = Press the red key on the code reader, and enter the code you hear. Then press hash.
phone-unlock-second = Wait until the code reader gives a new code, which takes at most half a minute. Enter the new code, then press hash.
phone-unlock-code-length = A code has 6 digits.
phone-unlock-checking = One moment, I am checking the codes.
phone-unlock-done = The block is lifted. You can use the code reader again.
phone-unlock-wrong = The codes did not match. The code reader is still blocked. Try again with two new codes.
phone-unlock-unknown-serial = I do not know that serial number. Please try again.
phone-unlock-unavailable = I cannot check the codes right now.

# The agent queue. { $position }: 1 is next; { $minutes }: the expected wait, whole minutes.
phone-queue-place = You are number { $position } in the queue. The expected wait is about { $minutes ->
        [one] one minute.
       *[other] { $minutes } minutes.
    }
phone-callback-offer = Press 1 if you would rather be called back when it is your turn.
phone-queue-still = You are still waiting in the queue, in your place.
phone-callback-confirm = We will call you back on
phone-callback-confirm-keys = Press 1 to confirm, or 2 to key another number. Press star to stay in the queue.
phone-callback-key-number = Key the number we should call you back on, then press hash.
phone-callback-booked = Thank you. You keep your place in the queue, and an agent will call you back when it is your turn.
phone-agent-connecting = An agent is taking your call now. The agent can see what you chose in the menu.
