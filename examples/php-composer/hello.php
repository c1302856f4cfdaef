<?php

require __DIR__ . '/vendor/autoload.php';

use Stagesplit\Greeter\Greeter;

echo (new Greeter())->greet($argv[1] ?? 'php'), "\n";
