# Everything the audio code reader says (owned by reader-device). Keep ids in step with da/device.ftl.
ready = Ready. Press the red key for your code.
code-expired = The code has expired. Press the red key for a new code.
code-cleared = The code has been cleared from the screen.
headphones-connected = Headphones connected.
headphones-disconnected = Headphones removed.
volume-up = Louder.
volume-down = Softer.
volume-level = Volume { $level }.
volume-max = Highest volume.
volume-min = Lowest volume.
rate-slow = Slow speech.
rate-normal = Normal speech.
rate-fast = Fast speech.
language-set = English speech.
grouping-threes = Digits are read in groups of three.
grouping-pairs = Digits are read in pairs.
grouping-single = Digits are read one by one.
clock-wrong = The clock is wrong — call support.
not-provisioned = This code reader is not activated. Call support.
storage-failed = The code reader cannot save. No code is shown. Call support.
settings-not-saved = The setting could not be saved and lasts only until the device is switched off.
battery-low = The battery is low: { $percent } percent.
battery-critical = The battery is empty. The code reader is switching off now.
auto-off-warning = The code reader switches off in { $seconds } seconds. Press a key to continue.
powering-off = Switching off.
function-mode = Function. Release the red key and press a number key. Keep holding to switch off.
function-cancelled = Function cancelled.
nothing-to-repeat = There is nothing to repeat.
not-a-choice = That is not a choice.
menu = Menu. 1: language. 2: always read the code aloud. 3: serial number. 4: double-press filter. 5: screen colours. 9: switch off. 0: hear the menu again. The red key: back.
menu-closed = The menu is closed.
double-strike = A press of the same key within { $ms } milliseconds is ignored.
double-strike-off = The double-press filter is off.
invert-on = Dark text on a light background.
invert-off = Light text on a dark background.
key-help-on = Key help. Each key says what it does. Hold the red key and press 5 to finish.
key-help-off = Key help finished.
code-on-screen = Your code is on the screen. Connect headphones, or press the red key again to hear it read aloud.
always-aloud-on = Codes are always read aloud through the speaker. Others can hear them.
always-aloud-off = Codes are read aloud only through headphones, or when you press the red key again.
rate-slowest = Slowest speech.
rate-fastest = Fastest speech.
key-help-key = { $key ->
        [function] The red key with a dot. Press it for your code. Hold it and press a number key for functions. Hold it alone for two seconds to switch off.
       *[other] Key { $key }. Shows and reads the code. With the red key: { $function ->
            [repeat] repeat the last message.
            [volume-up] louder.
            [volume-down] softer.
            [rate-up] faster speech.
            [rate-down] slower speech.
            [language-next] change the language.
            [language-previous] change the language.
            [grouping] change how digits are grouped.
            [key-help] key help on and off.
           *[menu] the menu.
        }
    }
key-help-chord = { $function ->
        [repeat] Red and { $key }: repeat the last message.
        [volume-up] Red and { $key }: louder.
        [volume-down] Red and { $key }: softer.
        [rate-up] Red and { $key }: faster speech.
        [rate-down] Red and { $key }: slower speech.
        [language-next] Red and { $key }: change the language.
        [language-previous] Red and { $key }: change the language.
        [grouping] Red and { $key }: change how digits are grouped.
        [key-help] Red and { $key }: key help on and off.
       *[menu] Red and { $key }: the menu.
    }
activation-menu = Activation.
