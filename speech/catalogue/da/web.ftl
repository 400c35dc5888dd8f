# Medarbejdernes webkonsol (phone-support web): det medarbejderne læser på siderne.
web-product = Kodeoplæser-support
web-skip = Spring til indholdet
web-nav = Hovedmenu
web-nav-calls = Opkald
web-nav-device = Kodeoplæser
web-nav-flows = Vejledninger
web-signed-in-as = Logget ind som { $agent }
web-sign-out = Log ud
web-language = Sprog
web-other-language = English
web-other-lang-code = en
web-sign-in-title = Log ind
web-agent-name = Medarbejdernavn
web-password = Adgangskode
web-sign-in = Log ind
web-sign-in-wrong = Forkert navn eller adgangskode.
web-sign-in-locked = For mange forkerte adgangskoder: kontoen er spærret til klokken { $until }. En administrator kan ophæve spærringen før.
web-signed-out = Du er logget ud.
web-csrf-refused = Formularen var udløbet eller kom ikke fra denne konsol. Intet er gjort. Prøv igen.
web-sign-in-needed = Log venligst ind.
web-no-right-lookup = Du har ikke ret til at slå kodeoplæsere op. Intet er gjort.
web-no-right-unlock = Du har ikke ret til at ophæve spærringer. Intet er gjort.
web-no-right-activation = Du har ikke ret til at udstede aktiveringskoder. Intet er gjort.
web-calls-title = Opkald
web-calls-caption = Opkald i talemenuen, i kø og i gang
web-line-down = Supportlinjens opkaldsliste kan ikke nås på { $url }. Opkald vises ikke; alt andet virker.
web-line-connecting = Forbinder til supportlinjen.
web-line-open = Linjen er åben.
web-line-closed = Linjen er lukket nu.
web-no-calls = Ingen opkald lige nu.
web-announce-waiting = Opkald der venter på en medarbejder: { $count }.
web-col-state = Tilstand
web-col-lang = Sprog
web-col-flow = Vejledning
web-col-steps = Trin taget
web-col-serial = Serienummer
web-col-waited = Ventetid
web-col-agent = Medarbejder
web-col-action = Handling
web-state-menu = I talemenuen
web-state-queued = Venter
web-state-callback = Vil ringes op
web-state-with-agent = Hos en medarbejder
web-lang-da = Dansk
web-lang-en = Engelsk
web-none = ingen
web-duration = { $min } min. { $sec } sek.
web-take = Tag opkaldet
web-open-call = Åbn
web-call-title = Opkaldet
web-call-taken = Du har taget opkaldet.
web-call-gone = Det opkald er ikke længere på linjen.
web-call-not-waiting = Det opkald venter ikke længere: en anden medarbejder har måske taget det.
web-line-error = Supportlinjen svarede: { $message }
web-caller = Opkalder
web-callback-number = Ring tilbage på
web-in-call = Tid i opkaldet
web-continue-flow = Fortsæt vejledningen hvor opkalderen slap
web-look-up-device = Slå opkalderens kodeoplæser op
web-end-call = Afslut opkaldet
web-outcome = Udfald
web-outcome-resolved = Løst
web-outcome-follow-up = Skal følges op
web-outcome-passed-on = Givet videre
web-note = Note (skriv aldrig en kode her)
web-record = Gem udfaldet og afslut opkaldet
web-recorded = Opkaldets udfald er gemt.
web-device-title = Kodeoplæser
web-lookup-legend = Slå en kodeoplæser op
web-lookup-serial = Serienummer
web-lookup-user = Personens id
web-look-up = Slå op
web-lookup-either = Angiv et serienummer eller en persons id.
web-dev-serial = Serienummer
web-dev-kind = Type
web-dev-state = Aktivering
web-dev-state-inactive = Ikke aktiveret
web-dev-state-active = Aktiv
web-dev-state-deactivated = Deaktiveret
web-dev-activated = Aktiveret
web-dev-last-use = Sidst brugt
web-dev-failures = Forkerte koder i træk
web-dev-block = Spærring
web-dev-not-blocked = Ikke spærret
web-dev-blocked-until = Spærret til { $until } (spærringer siden sidste godkendte kode: { $blocks })
web-dev-drift = Urafvigelse
web-dev-drift-steps = { $steps } tidsskridt
web-dev-activation-code = Aktiveringskode
web-dev-activation-outstanding = Sendt som { $channel }, udløber { $expires }, { $tries } forsøg tilbage
web-dev-no-activation = Ingen udestående
web-never = aldrig
web-unlock = Ophæv spærringen
web-unlock-confirm = Ophæv spærringen af { $serial }? Kodeoplæseren virker så igen med det samme.
web-unlock-yes = Ja, ophæv spærringen
web-cancel = Annullér
web-unlocked = Spærringen af { $serial } er ophævet.
web-activation = Udsted en ny aktiveringskode
web-activation-user = Personens id
web-activation-channel = Send som
web-channel-paper = brev
web-channel-sms = sms
web-channel-paper-long = Brev (gyldig i 48 timer)
web-channel-sms-long = Sms (gyldig i 30 minutter)
web-activation-confirm = Udsted en ny aktiveringskode til { $serial } for person { $user } som { $channel }? En tidligere kode holder op med at virke.
web-activation-yes = Ja, udsted koden
web-activation-issued = En ny aktiveringskode er på vej som { $channel }; den udløber { $expires }. Koden vises aldrig her.
web-service-error = Tjenesten svarede: { $message }
web-flows-title = Vejledninger
web-flows-intro = Vælg vejledningen til det opkalderen har brug for.
web-say = Sig til opkalderen
web-choices = Opkalderens svar
web-back = Et trin tilbage
web-restart = Start vejledningen forfra
web-answers = Svar indtil nu
web-final-done = Sidste trin: opkaldet er løst.
web-final-agent = Sidste trin: opkalderen har brug for at en medarbejder handler.
web-final-unlock = Sidste trin: selvbetjent ophævelse af spærring med tastaturet.
web-check = Tjek
web-check-button = Tjek
web-check-hours = Åbningstider
web-reasons = Begrundelser
web-docs-legend = Hvilke dokumenter har opkalderen?
web-doc-passport = Pas
web-doc-driving-licence = Kørekort
web-doc-health-card = Sundhedskort
web-doc-other-with-cpr = Et andet dokument med CPR-nummeret
web-doc-baptism-certificate = Dåbs- eller navneattest
web-doc-tax-statement = Den seneste årsopgørelse
web-doc-old-tax-statement = En ældre årsopgørelse
web-doc-benefit = Dokumentation for en offentlig ydelse, dateret (ÅÅÅÅ-MM-DD)
web-docs-enough = Dokumenterne er nok.
web-docs-not-enough = Dokumenterne er ikke nok.
web-witness-legend = Kan vidnet stå inde for opkalderen?
web-witness-cpr = Vidnets CPR-nummer (DDMMÅÅ-SSSS)
web-witness-mitid-since = Har haft MitID siden (ÅÅÅÅ-MM-DD)
web-witness-witnessed = Datoer vidnet for andre før (ÅÅÅÅ-MM-DD, komma imellem)
web-eligible = Vidnet kan stå inde.
web-not-eligible = Vidnet kan ikke stå inde.
web-check-device = Dette trin kræver kodeoplæseren: slå den op nedenfor.
web-not-found = Siden findes ikke.
web-error-title = Noget gik galt
web-back-home = Tilbage til opkaldene

## Reglernes afgørelser og begrundelser (reglernes tal kommer ind som argumenter).
web-weekday-mon = mandag
web-weekday-tue = tirsdag
web-weekday-wed = onsdag
web-weekday-thu = torsdag
web-weekday-fri = fredag
web-weekday-sat = lørdag
web-weekday-sun = søndag
web-day-weekday = en hverdag
web-day-saturday = en lørdag
web-day-sunday = en søndag
# { $name }: helligdagens navn.
web-day-holiday = en helligdag ({ $name })
# { $day }: ugedag; { $moment }: ÅÅÅÅ-MM-DD TT:MM; { $kind }: slags dag; { $opens }, { $closes }: TT:MM.
web-hours-open-now = Åbent nu — { $day } { $moment } er { $kind }: åbent { $opens }–{ $closes }
web-hours-closed-now = Lukket nu — { $day } { $moment } er { $kind }: åbent { $opens }–{ $closes }
web-hours-closes = Lukker { $day } { $moment }
web-hours-opens = Åbner { $day } { $moment }
# { $phone }: supportens nummer; { $weekdays }, { $weekends }: tider som 08–20.
web-hours-summary = Support { $phone }: mandag–fredag { $weekdays }; lørdage, søndage og helligdage { $weekends } (dansk tid)
web-reason-met = Opfyldt
web-reason-not-met = Ikke opfyldt
# { $age }: vidnets alder; { $min }: den laveste tilladte alder.
web-witness-age = alder { $age } (skal være mindst { $min })
# { $date }: dagen hvor vidnet fylder { $min }.
web-witness-turns-adult = fylder { $min } den { $date }
# { $days }: dage med MitID; { $min }: skal være flere end dette.
web-witness-mitid = har haft MitID i { $days ->
    [one] { $days } dag
   *[other] { $days } dage
} (skal være mere end { $min })
web-witness-mitid-from = længe nok fra { $date }
# { $count }: personer vidnet for inden for de seneste { $window } dage; { $max }: højst tilladte.
web-witness-count = har været vidne for { $count ->
    [one] { $count } person
   *[other] { $count } personer
} inden for de seneste { $window } dage (højst { $max })
web-witness-again-from = må være vidne igen fra { $date }
# { $dates }: datoer, komma imellem.
web-witness-future-dates = datoer efter dagen for tjekket: { $dates }
web-witness-bring = Husk: vidnet skal medbringe gyldig billedlegitimation og sit MitID.
web-docs-photo-id = Et pas eller et kørekort er nok i sig selv.
web-docs-two-then-questions = To dokumenter er nok; derefter skal opkalderen svare på spørgsmål fra CPR-registret eller have et vidne med.
web-docs-no-photo-id = Intet pas eller kørekort, så der skal bruges to andre dokumenter.
web-docs-no-cpr-document = Mangler: et dokument med CPR-nummeret (f.eks. sundhedskortet).
# { $months }: hvor gammel dokumentationen for en udbetalt ydelse må være.
web-docs-no-second-document = Mangler: en dåbs- eller navneattest, den seneste årsopgørelse eller dokumentation for udbetaling af en offentlig ydelse, højst { $months } måneder gammel.
web-docs-old-tax-statement = Årsopgørelsen skal være den seneste.
# { $dated }: dokumentationens dato; { $from }: den tidligste tilladte dato.
web-docs-benefit-too-old = Dokumentationen for udbetalingen af ydelsen den { $dated } er mere end { $months } måneder gammel (den skal være fra { $from } eller senere).
web-docs-benefit-in-future = Dokumentationen for udbetalingen af ydelsen er dateret i fremtiden ({ $dated }).
web-witness-fill-in = Udfyld vidnets CPR-nummer og datoen, hvor vidnet fik MitID.
# { $text }: det, der blev skrevet.
web-cpr-format = CPR-nummeret "{ $text }" skal være ti cifre som DDMMÅÅ-SSSS.
# { $date }: DD-MM-ÅÅÅÅ fra CPR-nummeret.
web-cpr-no-such-date = CPR-nummeret "{ $text }": { $date } er ikke en rigtig dato.
web-bad-mitid-since = MitID-datoen "{ $text }" skal skrives ÅÅÅÅ-MM-DD.
web-bad-witnessed-date = Vidnedatoen "{ $text }" skal skrives ÅÅÅÅ-MM-DD.
web-bad-benefit-date = Datoen på dokumentationen for ydelsen "{ $text }" skal skrives ÅÅÅÅ-MM-DD.
web-unknown-document = Ukendt dokument "{ $text }".
