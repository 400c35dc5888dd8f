# The keypad voice menu of the support line 33 98 00 10 (owned by phone-support).
# Flow step texts live in phone-support/flows/*.toml.
phone-welcome = Velkommen til support for MitID kodeoplæser.
# Said in this language in the other language's menu: the way to this one.
phone-choose-language = Tryk 9 for dansk.
phone-menu-intro = Vælg, hvad du ringer om.
# { $title }: a flow's title; { $key }: the key that starts it.
phone-menu-item = { $title }: tryk { $key }.
# { $key }: a keypad digit; { $label }: what it means, from the flow file.
phone-press = Tryk { $key }, { $label }.
phone-hints = Tryk stjerne for at høre det igen, firkant for at gå tilbage, eller 0 for at tale med en medarbejder.
phone-invalid-key = Den tast kan ikke bruges her.
phone-no-input = Jeg hørte ikke noget valg.
phone-queue = Du bliver nu stillet i kø til en medarbejder. Bliv venligst i røret.
# The opening hours as set for the line (published: 8–20 and 10–16), whole hours.
phone-closed = Telefonen er lukket lige nu. Vi har åbent mandag til fredag fra { $weekday_open } til { $weekday_close }, og lørdag, søndag og helligdage fra { $weekend_open } til { $weekend_close }.
# { $hour }: the whole hour the line opens, e.g. 8 or 10.
phone-opens-today = Vi åbner igen i dag klokken { $hour }.
phone-opens-tomorrow = Vi åbner igen i morgen klokken { $hour }.
phone-call-again = Ring igen på 33 98 00 10.
phone-goodbye = Tak for dit opkald. Farvel.
# Self-service unlock by keypad (a flow step with end = "unlock"). Nothing keyed is said back.
phone-unlock-serial = Indtast serienummeret fra bagsiden af kodeoplæseren, og afslut med firkant. Et bogstav taster du på den tast, hvor bogstavet står. Tryk stjerne for at starte forfra.
phone-unlock-first = Tryk på den røde tast på kodeoplæseren, og indtast den kode, du hører. Afslut med firkant.
phone-unlock-second = Vent, til kodeoplæseren giver en ny kode, det tager højst et halvt minut. Indtast den nye kode, og afslut med firkant.
phone-unlock-code-length = En kode har 6 cifre.
phone-unlock-checking = Et øjeblik, jeg tjekker koderne.
phone-unlock-done = Spærringen er ophævet. Du kan bruge kodeoplæseren igen.
phone-unlock-wrong = Koderne passede ikke. Kodeoplæseren er stadig spærret. Prøv igen med to nye koder.
phone-unlock-unknown-serial = Jeg kender ikke det serienummer. Prøv igen.
phone-unlock-unavailable = Jeg kan ikke tjekke koderne lige nu.

# The agent queue. { $position }: 1 is next; { $minutes }: the expected wait, whole minutes.
phone-queue-place = Du er nummer { $position } i køen. Den forventede ventetid er cirka { $minutes ->
        [one] ét minut.
       *[other] { $minutes } minutter.
    }
phone-callback-offer = Tryk 1, hvis du hellere vil ringes op, når det er din tur.
phone-queue-still = Du venter stadig i køen, på din plads.
phone-callback-confirm = Vi ringer dig op på nummer
phone-callback-confirm-keys = Tryk 1 for at bekræfte, eller 2 for at taste et andet nummer. Tryk stjerne for at blive i køen.
phone-callback-key-number = Tast det nummer, vi skal ringe op på, og afslut med firkant.
phone-callback-booked = Tak. Du beholder din plads i køen, og en medarbejder ringer dig op, når det er din tur.
phone-agent-connecting = En medarbejder tager nu dit opkald. Medarbejderen kan se, hvad du har valgt i menuen.
