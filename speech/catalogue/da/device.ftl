# Everything the audio code reader says (owned by reader-device). Keep ids in step with en/device.ftl.
ready = Klar. Tryk på en taltast for at få din kode.
code-expired = Koden er udløbet. Tryk på en taltast for en ny kode.
code-cleared = Koden er slettet fra skærmen.
connect-headphones = Tilslut høretelefoner for at høre koden
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
speaker-on = Højttaleren er slået til. Koder kan nu høres af andre.
speaker-off = Højttaleren er slået fra. Koder læses kun i høretelefoner.
clock-wrong = Uret er forkert — ring til support.
not-provisioned = Kodeoplæseren er ikke aktiveret. Ring til support.
storage-failed = Kodeoplæseren kan ikke gemme. Der vises ingen kode. Ring til support.
settings-not-saved = Indstillingen kunne ikke gemmes og gælder kun til der slukkes.
battery-low = Batteriet er lavt: { $percent } procent.
battery-critical = Batteriet er tomt. Kodeoplæseren slukker nu.
auto-off-warning = Kodeoplæseren slukker om { $seconds } sekunder. Tryk på en tast for at fortsætte.
powering-off = Slukker.
function-mode = Funktion. Tryk på en taltast.
function-cancelled = Funktion afbrudt.
nothing-to-repeat = Der er intet at gentage.
not-a-choice = Det er ikke et valg.
menu = Menu. 1: sprog. 2: højttaler. 3: serienummer. 4: filter for dobbelttryk. 5: skærmfarver. 9: sluk. 0: hør menuen igen. Funktionstasten: tilbage.
menu-closed = Menuen er lukket.
double-strike = Et tryk på samme tast inden for { $ms } millisekunder tælles ikke med.
double-strike-off = Filter for dobbelttryk er slået fra.
invert-on = Mørk tekst på lys baggrund.
invert-off = Lys tekst på mørk baggrund.
key-help-on = Tastehjælp. Hver tast siger, hvad den gør. Tryk funktionstasten og derefter 5 for at slutte.
key-help-off = Tastehjælp slut.
key-help-key = { $key ->
        [function] Den røde funktionstast med en prik. Tryk den og derefter en taltast for indstillinger, to gange for menuen. Hold den nede for at slukke.
       *[other] Tast { $key }. Viser og læser koden. Efter funktionstasten: { $function ->
            [repeat] gentag sidste besked.
            [volume-up] højere lydstyrke.
            [volume-down] lavere lydstyrke.
            [grouping] skift mellem grupper af cifre.
            [key-help] tastehjælp til og fra.
            [rate] skift talehastighed.
           *[other] ingen funktion.
        }
    }
activation-menu = Aktivering.
