# Everything the audio code reader says (owned by reader-device). Keep ids in step with en/device.ftl.
ready = Klar. Tryk på den røde tast for at få din kode.
code-expired = Koden er udløbet. Tryk på den røde tast for en ny kode.
code-cleared = Koden er slettet fra skærmen.
headphones-connected = Høretelefoner tilsluttet.
headphones-disconnected = Høretelefoner fjernet.
volume-up = Højere.
volume-down = Lavere.
volume-level = Lydstyrke { $level }.
volume-max = Højeste lydstyrke.
volume-min = Laveste lydstyrke.
rate-slow = Langsom tale.
rate-normal = Normal tale.
rate-fast = Hurtig tale.
language-set = Dansk tale.
grouping-threes = Cifrene læses i grupper af tre.
grouping-pairs = Cifrene læses parvis.
grouping-single = Cifrene læses enkeltvis.
clock-wrong = Uret er forkert — ring til support.
not-provisioned = Kodeoplæseren er ikke aktiveret. Ring til support.
storage-failed = Kodeoplæseren kan ikke gemme. Der vises ingen kode. Ring til support.
settings-not-saved = Indstillingen kunne ikke gemmes og gælder kun til der slukkes.
battery-low = Batteriet er lavt: { $percent } procent.
battery-critical = Batteriet er tomt. Kodeoplæseren slukker nu.
auto-off-warning = Kodeoplæseren slukker om { $seconds } sekunder. Tryk på en tast for at fortsætte.
powering-off = Slukker.
function-mode = Funktion. Slip den røde tast, og tryk på en taltast. Bliv ved med at holde for at slukke.
function-cancelled = Funktion afbrudt.
nothing-to-repeat = Der er intet at gentage.
not-a-choice = Det er ikke et valg.
menu = Menu. 1: sprog. 2: læs altid koden højt. 3: serienummer. 4: filter for dobbelttryk. 5: skærmfarver. 9: sluk. 0: hør menuen igen. Den røde tast: tilbage.
menu-closed = Menuen er lukket.
double-strike = Et tryk på samme tast inden for { $ms } millisekunder tælles ikke med.
double-strike-off = Filter for dobbelttryk er slået fra.
invert-on = Mørk tekst på lys baggrund.
invert-off = Lys tekst på mørk baggrund.
key-help-on = Tastehjælp. Hver tast siger, hvad den gør. Hold den røde tast, og tryk 5 for at slutte.
key-help-off = Tastehjælp slut.
code-on-screen = Koden står på skærmen. Tilslut høretelefoner, eller tryk på den røde tast igen for at få koden læst højt.
always-aloud-on = Koden læses altid højt i højttaleren. Andre kan høre den.
always-aloud-off = Koden læses kun højt i høretelefoner, eller når du trykker på den røde tast igen.
rate-slowest = Langsomste tale.
rate-fastest = Hurtigste tale.
key-help-key = { $key ->
        [function] Den røde tast med en prik. Tryk for at få koden. Hold den nede, og tryk en taltast for funktioner. Hold den alene i to sekunder for at slukke.
       *[other] Tast { $key }. Viser og læser koden. Med den røde tast: { $function ->
            [repeat] gentag sidste besked.
            [volume-up] højere lydstyrke.
            [volume-down] lavere lydstyrke.
            [rate-up] hurtigere tale.
            [rate-down] langsommere tale.
            [language-next] skift sprog.
            [language-previous] skift sprog.
            [grouping] skift mellem grupper af cifre.
            [key-help] tastehjælp til og fra.
           *[menu] menuen.
        }
    }
key-help-chord = { $function ->
        [repeat] Rød og { $key }: gentag sidste besked.
        [volume-up] Rød og { $key }: højere lydstyrke.
        [volume-down] Rød og { $key }: lavere lydstyrke.
        [rate-up] Rød og { $key }: hurtigere tale.
        [rate-down] Rød og { $key }: langsommere tale.
        [language-next] Rød og { $key }: skift sprog.
        [language-previous] Rød og { $key }: skift sprog.
        [grouping] Rød og { $key }: skift mellem grupper af cifre.
        [key-help] Rød og { $key }: tastehjælp til og fra.
       *[menu] Rød og { $key }: menuen.
    }
activation-menu = Aktivering.
