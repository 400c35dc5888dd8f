# The agents' web console (phone-support web): what agents read on the pages.
web-product = Kodeoplæser support
web-skip = Skip to the content
web-nav = Main menu
web-nav-calls = Calls
web-nav-device = Code reader
web-nav-flows = Guides
# { $agent }: the signed-in agent's name.
web-signed-in-as = Signed in as { $agent }
web-sign-out = Sign out
web-language = Language
# The name of the other language, in that language.
web-other-language = Dansk
web-other-lang-code = da
web-sign-in-title = Sign in
web-agent-name = Agent name
web-password = Password
web-sign-in = Sign in
web-sign-in-wrong = Wrong name or password.
# { $until }: a time of day, e.g. 14:05.
web-sign-in-locked = Too many wrong passwords: this account is locked until { $until }. An admin can lift the lock sooner.
web-signed-out = You are signed out.
web-csrf-refused = The form had expired or did not come from this console. Nothing was done. Please try again.
web-sign-in-needed = Please sign in.
web-no-right-lookup = You do not have the right to look up code readers. Nothing was done.
web-no-right-unlock = You do not have the right to lift blocks. Nothing was done.
web-no-right-activation = You do not have the right to issue activation codes. Nothing was done.
web-calls-title = Calls
web-calls-caption = Calls in the voice menu, waiting and in progress
# { $url }: where the line's control interface should be.
web-line-down = The call list of the support line cannot be reached at { $url }. Calls are not shown; everything else works.
web-line-connecting = Connecting to the support line.
web-line-open = The line is open.
web-line-closed = The line is closed now.
web-no-calls = No calls right now.
# { $count }: calls waiting for an agent.
web-announce-waiting = Calls waiting for an agent: { $count }.
web-col-state = State
web-col-lang = Language
web-col-flow = Guide
web-col-steps = Steps taken
web-col-serial = Serial number
web-col-waited = Waited
web-col-agent = Agent
web-col-action = Action
web-state-menu = In the voice menu
web-state-queued = Waiting
web-state-callback = Wants a call back
web-state-with-agent = With an agent
web-lang-da = Danish
web-lang-en = English
web-none = none
# { $min } and { $sec }: minutes and seconds.
web-duration = { $min } min { $sec } s
web-take = Take call
web-open-call = Open
web-call-title = The call
web-call-taken = You have taken the call.
web-call-gone = That call is no longer on the line.
web-call-not-waiting = That call is not waiting any more: another agent may have taken it.
web-line-error = The support line answered: { $message }
web-caller = Caller
web-callback-number = Call back on
web-in-call = Time in the call
web-continue-flow = Continue the guide where the caller left it
web-look-up-device = Look up the caller's code reader
web-end-call = End the call
web-outcome = Outcome
web-outcome-resolved = Resolved
web-outcome-follow-up = Needs follow-up
web-outcome-passed-on = Passed on
web-note = Note (never write a code here)
web-record = Record the outcome and end the call
web-recorded = The outcome of the call is recorded.
web-device-title = Code reader
web-lookup-legend = Look up a code reader
web-lookup-serial = Serial number
web-lookup-user = Person's id
web-look-up = Look up
web-lookup-either = Give a serial number or a person's id.
web-dev-serial = Serial number
web-dev-kind = Kind
web-dev-state = Activation state
web-dev-state-inactive = Not activated
web-dev-state-active = Active
web-dev-state-deactivated = Deactivated
web-dev-activated = Activated
web-dev-last-use = Last use
web-dev-failures = Wrong codes in a row
web-dev-block = Block
web-dev-not-blocked = Not blocked
# { $until }: date and time; { $blocks }: blocks since the last accepted code.
web-dev-blocked-until = Blocked until { $until } (blocks since the last accepted code: { $blocks })
web-dev-drift = Clock drift
# { $steps }: whole time steps of 30 seconds, may be negative.
web-dev-drift-steps = { $steps } time steps
web-dev-activation-code = Activation code
# { $channel }: letter or SMS; { $expires }: date and time; { $tries }: tries left.
web-dev-activation-outstanding = Sent by { $channel }, expires { $expires }, { $tries } tries left
web-dev-no-activation = None outstanding
web-never = never
web-unlock = Lift the block
# { $serial }: the device's serial number.
web-unlock-confirm = Lift the block on { $serial }? The code reader then works again at once.
web-unlock-yes = Yes, lift the block
web-cancel = Cancel
web-unlocked = The block on { $serial } is lifted.
web-activation = Issue a new activation code
web-activation-user = The person's id
web-activation-channel = Send by
web-channel-paper = letter
web-channel-sms = SMS
web-channel-paper-long = Letter (valid 48 hours)
web-channel-sms-long = SMS (valid 30 minutes)
# { $serial }, { $user }: who; { $channel }: letter or SMS.
web-activation-confirm = Issue a new activation code for { $serial } to person { $user } by { $channel }? An earlier code stops working.
web-activation-yes = Yes, issue the code
# { $channel }: letter or SMS; { $expires }: date and time.
web-activation-issued = A new activation code is on its way by { $channel }; it expires { $expires }. The code is never shown here.
# { $message }: the service's own words.
web-service-error = The service answered: { $message }
web-flows-title = Guides
web-flows-intro = Choose the guide for what the caller needs.
web-say = Say to the caller
web-choices = The caller's answer
web-back = Back one step
web-restart = Start the guide again
web-answers = Answers so far
web-final-done = Final step: the call is resolved.
web-final-agent = Final step: the caller needs an agent to act.
web-final-unlock = Final step: self-service unlock by keypad.
web-check = Check
web-check-button = Check
web-check-hours = Opening hours
web-reasons = Reasons
web-docs-legend = Which documents does the caller have?
web-doc-passport = Passport
web-doc-driving-licence = Driving licence
web-doc-health-card = Health card
web-doc-other-with-cpr = Another document with the CPR number
web-doc-baptism-certificate = Baptism or name certificate
web-doc-tax-statement = The latest annual tax statement
web-doc-old-tax-statement = An older annual tax statement
web-doc-benefit = Proof of a public benefit, dated (YYYY-MM-DD)
web-docs-enough = The documents are enough.
web-docs-not-enough = The documents are not enough.
web-witness-legend = Can the witness vouch for the caller?
web-witness-cpr = The witness's CPR number (DDMMYY-SSSS)
web-witness-mitid-since = Has had MitID since (YYYY-MM-DD)
web-witness-witnessed = Dates witnessed for others before (YYYY-MM-DD, comma between)
web-eligible = The witness can vouch.
web-not-eligible = The witness cannot vouch.
web-check-device = This step needs the code reader: look it up below.
web-not-found = Page not found.
web-error-title = Something went wrong
web-back-home = Back to the calls

## The rules' verdicts and reasons (the rules' numbers come in as arguments).
web-weekday-mon = Monday
web-weekday-tue = Tuesday
web-weekday-wed = Wednesday
web-weekday-thu = Thursday
web-weekday-fri = Friday
web-weekday-sat = Saturday
web-weekday-sun = Sunday
web-day-weekday = a weekday
web-day-saturday = a Saturday
web-day-sunday = a Sunday
# { $name }: the public holiday's name.
web-day-holiday = a public holiday ({ $name })
# { $day }: weekday; { $moment }: YYYY-MM-DD HH:MM; { $kind }: the kind of day; { $opens }, { $closes }: HH:MM.
web-hours-open-now = Open now — { $day } { $moment } is { $kind }: open { $opens }–{ $closes }
web-hours-closed-now = Closed now — { $day } { $moment } is { $kind }: open { $opens }–{ $closes }
web-hours-closes = Closes { $day } { $moment }
web-hours-opens = Opens { $day } { $moment }
# { $phone }: the support number; { $weekdays }, { $weekends }: hours like 08–20.
web-hours-summary = Support { $phone }: Monday–Friday { $weekdays }; Saturdays, Sundays and public holidays { $weekends } (Copenhagen time)
web-reason-met = Met
web-reason-not-met = Not met
# { $age }: the witness's age; { $min }: the lowest age allowed.
web-witness-age = age { $age } (must be { $min } or older)
# { $date }: the day they turn { $min }.
web-witness-turns-adult = turns { $min } on { $date }
# { $days }: days with MitID; { $min }: must be more than this.
web-witness-mitid = has had MitID for { $days ->
    [one] { $days } day
   *[other] { $days } days
} (must be more than { $min })
web-witness-mitid-from = long enough from { $date }
# { $count }: people witnessed for within the last { $window } days; { $max }: the most allowed.
web-witness-count = has witnessed for { $count ->
    [one] { $count } person
   *[other] { $count } people
} within the last { $window } days (at most { $max })
web-witness-again-from = may witness again from { $date }
# { $dates }: dates, comma between.
web-witness-future-dates = dates after the day of the check: { $dates }
web-witness-bring = Reminder: the witness must bring valid photo ID and their MitID.
web-docs-photo-id = A passport or driving licence is enough on its own.
web-docs-two-then-questions = Two documents are enough; then the caller must answer questions from the CPR register or bring a witness.
web-docs-no-photo-id = No passport or driving licence, so two other documents are needed.
web-docs-no-cpr-document = Missing: a document with the CPR number (e.g. the health card).
# { $months }: how old the proof of a benefit payment may be.
web-docs-no-second-document = Missing: a baptism or name certificate, the latest annual tax statement, or proof of a public benefit payment at most { $months } months old.
web-docs-old-tax-statement = The tax statement must be the latest one.
# { $dated }: the proof's date; { $from }: the earliest date allowed.
web-docs-benefit-too-old = The proof of the benefit payment of { $dated } is more than { $months } months old (it must be from { $from } or later).
web-docs-benefit-in-future = The proof of the benefit payment is dated in the future ({ $dated }).
web-witness-fill-in = Fill in the witness's CPR number and the date they got MitID.
# { $text }: what was typed.
web-cpr-format = The CPR number "{ $text }" must be ten digits as DDMMYY-SSSS.
# { $date }: DD-MM-YYYY from the CPR number.
web-cpr-no-such-date = The CPR number "{ $text }": { $date } is not a real date.
web-bad-mitid-since = The MitID date "{ $text }" must be written YYYY-MM-DD.
web-bad-witnessed-date = The date witnessed "{ $text }" must be written YYYY-MM-DD.
web-bad-benefit-date = The date of the benefit proof "{ $text }" must be written YYYY-MM-DD.
web-unknown-document = Unknown document "{ $text }".
