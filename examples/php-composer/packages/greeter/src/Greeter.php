<?php

namespace Stagesplit\Greeter;

final class Greeter
{
    public function greet(string $name): string
    {
        return "hello, {$name}";
    }
}
