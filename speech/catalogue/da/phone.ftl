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
phone-closed = Telefonen er lukket lige nu. Vi har åbent mandag til fredag fra 8 til 20, og lørdag, søndag og helligdage fra 10 til 16.
# { $hour }: the whole hour the line opens, e.g. 8 or 10.
phone-opens-today = Vi åbner igen i dag klokken { $hour }.
phone-opens-tomorrow = Vi åbner igen i morgen klokken { $hour }.
phone-call-again = Ring igen på 33 98 00 10.
phone-goodbye = Tak for dit opkald. Farvel.
